"""The Salesforce adapter: REST client (client), record shapes and errors
(records), the person directory (directory), recurring Event series (series), the Pub/Sub
change stream (pubsub) and the org's API budget (budget).

Part of addin.providers: may import addin.sync, addin.store and the root modules."""
