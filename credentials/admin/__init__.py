"""Django admin for the credential tracks.

Every write goes through ``credentials.services`` (transition buttons and their forms call
the matching service); who may see and change what comes from ``recruitment.authz`` and
``credentials.authz``. The case page is extended here (next steps and every track) by
re-registering the core's ``CaseAdmin`` with more inlines, so recruitment never imports
credentials.

One module per track, named as in ``credentials.services`` (``recognition``, ``training``,
``language``, ``permits``, ``integration_steps``), ``watches`` for notifications and stage
time limits, ``cases`` for the case page; ``_base`` holds what they share.
"""

from . import (  # noqa: F401 - importing a module registers its admins
    cases,
    integration_steps,
    language,
    permits,
    recognition,
    training,
    watches,
)
