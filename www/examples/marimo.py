# GenLab in marimo: `marimo edit marimo.py` (with genlab-widget installed: `make widget`, then
# `pip install ./widget`). The widget is the same as in Jupyter; `lab.value` holds its traits.
import marimo

__generated_with = "0.25.2"
app = marimo.App(width="medium")


@app.cell
def _():
    import marimo as mo
    from genlab_widget import GenLab
    return GenLab, mo


@app.cell
def _(GenLab, mo):
    lab = mo.ui.anywidget(GenLab(lab="interpolants", preset="checkerboard", height=600))
    lab
    return (lab,)


@app.cell
def _(lab):
    # read in a later cell, as in Jupyter: the step, metrics and link follow the page
    lab.value["preset"], lab.value["step"], lab.value["link"]
    return


if __name__ == "__main__":
    app.run()
