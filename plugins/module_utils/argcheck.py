# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Module option values that Ansible's own types let through: numbers and free text.

Ansible's int/float conversion accepts what must never drive a wait or a loop: "nan", "inf", 1e308,
digits of other scripts ("\u0669" converts to 9) and "1_0". Options that hold seconds or counts are
declared `type: raw` and read here instead (ASCII digits, finite, inside documented bounds); text that
names a file or a program must hold no NUL or line break. Each refusal names the option and the value.
"""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import math
import re

_DECIMAL = re.compile(r"[0-9]{1,9}(?:\.[0-9]{1,9})?\Z")
_INTEGER = re.compile(r"[0-9]{1,9}\Z")


class OptionError(ValueError):
    pass


def _number(option, value, minimum, maximum, pattern, what):
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        number = None
    elif isinstance(value, str):
        text = value.strip(" \t")
        number = float(text) if pattern.match(text) else None
    elif isinstance(value, float) and not math.isfinite(value):
        number = None
    else:
        number = value
    if number is None or (pattern is _INTEGER and number != int(number)):
        raise OptionError("%s: %r is not %s (ASCII digits, %s to %s)" % (option, value, what, minimum, maximum))
    if not minimum <= number <= maximum:
        raise OptionError("%s: %r is out of range: give %s from %s to %s" % (option, value, what, minimum, maximum))
    return number


def seconds(option, value, minimum, maximum):
    """A duration in seconds (e.g. 10 or 2.5) as float."""
    return float(_number(option, value, minimum, maximum, _DECIMAL, "a number of seconds"))


def count(option, value, minimum, maximum):
    """A whole number (e.g. 20) as int."""
    return int(_number(option, value, minimum, maximum, _INTEGER, "a whole number"))


TEXT_MAX = 4096


def text(option, value):
    """A path or program name (or None): not empty, no NUL or line break, at most TEXT_MAX characters."""
    if value is not None and (not value or len(value) > TEXT_MAX or any(c in value for c in "\0\n\r")):
        raise OptionError("%s: %r is not a usable path or name (not empty, no NUL or line break, at most %d characters)"
                          % (option, value[:200], TEXT_MAX))
    return value
