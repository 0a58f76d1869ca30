"""Conveyor's built-in plugins; each subpackage registers through the ``conveyor`` entry points."""
