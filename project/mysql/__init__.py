"""Django's MySQL backend, with every table Lambridge creates made InnoDB utf8mb4.

The site's database defaults to latin1 (SPEC §1), and a plain ``CREATE TABLE`` inherits the
database default, so without this Django-managed tables would silently be latin1 too.
"""
