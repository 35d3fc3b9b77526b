"""What only sandbox mode uses: the sandbox people signed in as product users
(accounts), a standalone sandbox reached over HTTP (remote), and the /sandbox index page
(index).

May import: addin.sandbox, addin.services, addin.accounts, addin.store and the root modules.
Never addin.web or addin.cli; nothing in the product below the web imports it."""
