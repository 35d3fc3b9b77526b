"""Local emulators of Salesforce, Microsoft Graph, Google Calendar and EWS. See README.md."""

from addin.sandbox.runtime import SandboxRuntime, SandboxUser

__all__ = ["SandboxRuntime", "SandboxUser"]
