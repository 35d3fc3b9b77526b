"""The mailbox calendars behind one interface (provider): Microsoft Graph
(graph, graph_batch), Google Calendar (google, google_batch), Exchange Web Services (ews,
ews_connect, ews_push), the HTTP helpers they share (http) and Windows time zones
(timezones).

Part of addin.providers: may import addin.sync, addin.store and the root modules."""
