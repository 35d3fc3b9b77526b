"""The outbox: upstream writes stored first and run later, at least once, by
kind (queue); the explicit table of kinds and their handlers (handlers).

Part of addin.services. The job engine is reached through the container
(``container.job_queue()``), never by importing addin.jobs."""
