"""Oversight of use: misuse rules on the audit stream, the alert queue and the weekly review.

See docs/oversight.md. The registers (declared interests, watch list, shifts) are in
:mod:`.register`, the rules in :mod:`.rules`, their thresholds in :mod:`.config`, and the
services the faces call in :mod:`.service`.
"""
