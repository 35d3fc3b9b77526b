"""Use cases: each takes the Container and plain values, and returns plain values.

May import: addin.accounts, addin.providers, addin.sync, addin.store and the root modules.
Never addin.jobs (the job engine is reached through ``container.job_queue()``), addin.web,
addin.devmode or addin.cli."""
