"""Clients of the upstream services: the mailbox calendars (addin.providers.calendar: one
interface, a module per provider), the Salesforce adapter (addin.providers.salesforce) and
the single HTTP path to all of them (addin.providers.http).

May import: addin.sync, addin.store and the root modules (config, domain, errors). Never
addin.accounts, addin.services, addin.jobs, addin.web, addin.devmode or addin.cli."""
