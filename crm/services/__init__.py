"""The CRM's use cases: keyword-only functions, one transaction each (DESIGN.md)."""
