"""An emulator of the Salesforce REST API: the parts an email sidebar uses.

- schema.py     sObject field definitions (what describe shows, what validation checks)
- values.py     Salesforce's wire formats for dates, datetimes and ids
- org.py        the in-memory org: records, validation, EventRelation semantics, replication
- event_times.py how an Event's time fields stay consistent
- series.py     Lightning event series (IsRecurrence2): occurrences, exceptions, deletes
- soql.py       SOQL (a lark grammar) and its evaluation
- sosl.py       SOSL FIND ... RETURNING
- rest.py       the REST resources as plain functions (shared by routes and composite)
- app.py        the Flask app: auth, API limits, routes, composite, sandbox UI actions
"""
