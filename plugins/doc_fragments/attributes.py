# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function
__metaclass__ = type


class ModuleDocFragment(object):
    """How each module behaves under check mode, diff mode and repetition.

    Use ``attributes`` for the descriptions, then ``attributes.info_module`` for read-only modules or
    ``attributes.acting_module`` for modules that change the host.
    """

    DOCUMENTATION = r'''
options: {}
attributes:
  check_mode:
    description: Can run in check mode and return the changed status it predicts without modifying the host.
  diff_mode:
    description: Returns details of what changed (or would change in check mode) when run in diff mode.
  idempotent:
    description:
      - When run twice in a row with the same arguments, the second run reports no change and
        changes nothing.
'''

    INFO_MODULE = r'''
options: {}
attributes:
  check_mode:
    support: full
    details: This module only reads; it behaves the same in check mode.
  diff_mode:
    support: N/A
    details: This module only reads.
  idempotent:
    support: full
'''

    ACTING_MODULE = r'''
options: {}
attributes:
  check_mode:
    support: full
    details: Reports what it would do and does nothing.
  diff_mode:
    support: full
  idempotent:
    support: full
'''
