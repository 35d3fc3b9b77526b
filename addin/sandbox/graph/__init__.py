"""An emulator of Microsoft Graph calendar events (v1.0): events, calendarView and delta,
extended properties, subscriptions with change notifications, $batch."""
