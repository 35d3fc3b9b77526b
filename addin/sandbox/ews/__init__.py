"""Exchange Web Services (EWS) emulator: the SOAP endpoint of an on-premises Exchange."""
