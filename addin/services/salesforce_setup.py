"""What an administrator installs in the organization's Salesforce from the product."""

from __future__ import annotations

from addin.accounts.identity import CurrentUser
from addin.container import Container
from addin.domain.errors import NotPermitted
from addin.providers.salesforce.client import SalesforceError
from addin.services.events import salesforce_of


def install_request_id_field(container: Container, user: CurrentUser) -> bool:
    """Add the External ID field ``Addin_Request_Id__c`` on Activity with the admin's own
    connection (one Tooling API request); False when it was there already. NotPermitted
    (``salesforce_refused``) when Salesforce does not let the user add it."""
    salesforce = salesforce_of(container, user)
    try:
        return bool(salesforce.install_request_id_field())
    except SalesforceError as exc:
        raise NotPermitted("Salesforce did not let your user add the field (Customize "
                           "Application is required).", code="salesforce_refused",
                           fields={"salesforce": exc.error_code or "refused"}) from exc
