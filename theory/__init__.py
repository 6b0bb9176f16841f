"""Closed forms of the papers' results: sympy expressions and float versions of every bound, rate,
threshold, map and construction size. Functions raise ``ValueError`` naming the violated condition
when called outside a theorem's assumptions. No simulation lives here.

Import a paper by its module name: ``from theory import sam``.
"""
