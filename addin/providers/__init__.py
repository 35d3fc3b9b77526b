"""Clients of the upstream services: one calendar interface with a module per provider
(graph, google, ews), and the Salesforce adapter. All HTTP goes through addin.http."""
