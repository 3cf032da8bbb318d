"""The kernel: users, access rights, the working calendar, constants, the automation clock, workflow.

It imports no app; the project layer `config/` wires the apps to it.
"""
