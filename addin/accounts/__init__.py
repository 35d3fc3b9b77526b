"""Who a person is and what they connected: API tokens and identities (users,
organizations), the OAuth flows, the stored connections with their encrypted tokens
(crypto) and the upstream clients opened from them (clients).

May import: addin.providers, addin.sync, addin.store and the root modules (config,
container, domain, errors). Never the services, jobs, web, devmode or cli."""
