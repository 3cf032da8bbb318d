"""The access rights a fresh installation starts with; administrators change them in the admin.

Levels: 0 none, 10 own, 20 department, 30 all. Each row: entity -> (read, edit, delete).
Kept as plain data (no model imports) because a migration applies it.
"""

NONE, OWN, DEPARTMENT, ALL = 0, 10, 20, 30

CRM_ENTITIES = ("lead", "deal", "contact", "company", "task")

DEFAULT_ACCESS = {
    "Administrator": dict.fromkeys((*CRM_ENTITIES, "ticket"), (ALL, ALL, ALL)),
    "Supervisor": {**dict.fromkeys(CRM_ENTITIES, (DEPARTMENT, DEPARTMENT, DEPARTMENT)), "ticket": (ALL, NONE, NONE)},
    "Sales manager": {
        "lead": (OWN, OWN, OWN),
        "deal": (OWN, OWN, OWN),
        # Managers must see the whole directory to spot an existing client before creating one.
        "contact": (ALL, OWN, NONE),
        "company": (ALL, OWN, NONE),
        "task": (OWN, OWN, NONE),
        "ticket": (ALL, NONE, NONE),
    },
    "Support engineer": {
        "ticket": (ALL, ALL, NONE),
        "contact": (ALL, NONE, NONE),
        "company": (ALL, NONE, NONE),
        "task": (OWN, OWN, NONE),
    },
    "Clerk": {
        "deal": (ALL, NONE, NONE),
        "contact": (ALL, NONE, NONE),
        "company": (ALL, NONE, NONE),
        "task": (OWN, OWN, NONE),
    },
    "IT director": {
        "deal": (ALL, NONE, NONE),
        "contact": (ALL, NONE, NONE),
        "company": (ALL, NONE, NONE),
        "task": (OWN, OWN, NONE),
        "ticket": (ALL, NONE, NONE),
    },
    "Accountant": {
        "deal": (ALL, NONE, NONE),
        "contact": (ALL, NONE, NONE),
        "company": (ALL, NONE, NONE),
        "task": (OWN, OWN, NONE),
    },
}
