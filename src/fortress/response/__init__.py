"""Contain a compromised function: a plan (dry run), ``--apply`` with a journal, ``undo``.

- :mod:`.model` — the plan as data (steps with the exact call, the state before and after).
- :mod:`.ops` — reads and writes on AWS for one region (through :mod:`fortress.aws`).
- one module per action (:mod:`.evidence`, :mod:`.throttle`, :mod:`.cut_public`,
  :mod:`.close_url`, :mod:`.pause_triggers`, :mod:`.quarantine_role`, :mod:`.revoke_sessions`,
  :mod:`.pin_version`), each planning its steps; the kinds of change they share live in
  :mod:`.permissions` and :mod:`.role_policy`, and :mod:`.kinds` maps a step to the code
  that reads, makes and reverts it.
- :mod:`.plan` builds a plan, :mod:`.apply` executes it, :mod:`.journal` records it,
  :mod:`.undo` reverses it.
"""
