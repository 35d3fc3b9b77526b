"""The Gmail add-on: its routes (routes, event_actions, status), the request it
verifies (request), the Salesforce lookup behind a card (lookup) and the Card v1 JSON it
answers with (cards, record_cards, status_card, repeat).

Part of addin.web: may import what addin.web may import."""
