"""The runsteps notebooks. The wheel ships this folder as the package `runsteps_notebooks`.

Nothing here is imported to use a notebook: `runsteps.report.notebook.notebook_path()` finds
the file, and marimo runs it.
"""
