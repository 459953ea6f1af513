# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
name: report_dir
short_description: The controller directory that receives the collection's reports and log bundles
version_added: 0.2.0
description:
  - The one rule for where every role of the collection writes on the controller. It is
    C($ALERTOPS_REPORT_DIR) when that environment variable is set (a relative value is taken from the
    directory ansible-playbook was started from), else C(reports) under the directory ansible-playbook was
    started from.
  - Never inside the installed collection and never relative to C(playbook_dir), so a playbook run by its
    FQCN from AWX, an execution environment or a user's own repository writes where the run was started.
  - The starting directory is the process's working directory, not C($PWD), which a launcher such as
    ansible-runner or AWX may leave pointing elsewhere.
options:
  _terms:
    description: Folders below the report directory (plain names, no C(/), C(.) or C(..)).
    type: list
    elements: str
    required: false
'''

EXAMPLES = r'''
- name: Where the reports go
  ansible.builtin.debug:
    msg: "{{ lookup('alertops.remediation.report_dir') }}"

- name: The folder for log bundles
  ansible.builtin.debug:
    msg: "{{ lookup('alertops.remediation.report_dir', 'logs') }}"
'''

RETURN = r'''
_raw:
  description: One absolute path.
  type: list
  elements: path
'''

import os

from ansible.errors import AnsibleLookupError
from ansible.plugins.lookup import LookupBase

VARIABLE = "ALERTOPS_REPORT_DIR"


def report_dir(environ, cwd, parts=()):
    """The report directory for this environment and working directory, with `parts` below it."""
    base = environ.get(VARIABLE) or ""
    if "\0" in base:
        raise ValueError("%s: %r is not a path" % (VARIABLE, base))
    base = os.path.join(cwd, os.path.expanduser(base)) if base else os.path.join(cwd, "reports")
    for part in parts:
        if not isinstance(part, str) or not part or part in (".", "..") or "/" in part or "\0" in part:
            raise ValueError("%r is not a plain folder name" % (part,))
    return os.path.normpath(os.path.join(base, *parts))


class LookupModule(LookupBase):

    def run(self, terms, variables=None, **kwargs):
        try:
            return [report_dir(os.environ, os.getcwd(), terms)]
        except (OSError, ValueError) as exc:
            raise AnsibleLookupError("alertops.remediation.report_dir: %s" % exc)
