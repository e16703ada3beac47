"""The widget's Python side without a browser: names, the core's config checks, edits in place,
the file channel's allow-list, and the replies the page sends. Run by `make test-notebook` with
the notebook venv's Python (`python -m unittest tests/notebook/test_widget.py`)."""

import json
import pathlib
import re
import unittest

import numpy as np

from genlab_widget import GenLab

ROOT = pathlib.Path(__file__).resolve().parents[2]


def preset_config(lab: str, name: str) -> dict:
    """A preset's config as the site ships it (its file, less the learner's note)."""
    config = json.loads((ROOT / "www/models" / lab / f"{name}.json").read_text())
    config.pop("note", None)
    return config


class Sent:
    """Captures what the widget sends to the page."""

    def __init__(self, widget: GenLab) -> None:
        self.messages = []
        widget.send = lambda content, buffers=None: self.messages.append((content, buffers))


class Names(unittest.TestCase):
    def test_labs_by_either_name(self):
        self.assertEqual(GenLab(lab="si").lab, "interpolants")
        self.assertEqual(GenLab(lab="halluc", preset="grid25").lab, "hallucinations")

    def test_unknown_lab_and_preset_say_what_exists(self):
        with self.assertRaisesRegex(ValueError, r"lab: there is no lab called 'nope'; the labs: interpolants, hallucinations, qlae, data"):
            GenLab(lab="nope")
        with self.assertRaisesRegex(ValueError, r'preset: qlae has no preset called "grid25"; its presets: .*sprites-qlae'):
            GenLab(lab="qlae", preset="grid25")

    def test_controls_and_height_are_checked(self):
        with self.assertRaisesRegex(ValueError, "controls: 'some' is not one of full, minimal, none"):
            GenLab(controls="some")
        with self.assertRaisesRegex(ValueError, "height: 50 is out of range; allowed 200 to 4000"):
            GenLab(height=50)


class Config(unittest.TestCase):
    def test_a_good_config_gets_the_cores_defaults(self):
        config = preset_config("si", "checkerboard")
        self.assertNotIn("schedule", config["sampler"])
        w = GenLab(lab="interpolants", config=config)
        self.assertEqual(w.config["sampler"]["schedule"], "uniform")
        self.assertEqual(w.config["train"]["steps"], config["train"]["steps"])

    def test_a_bad_field_raises_the_cores_message_and_changes_nothing(self):
        w = GenLab(lab="interpolants", config=preset_config("si", "checkerboard"))
        for field, value, message in [
            ("steps", 0, r"train\.steps: 0 is out of range; allowed 1 to 1000000"),
            ("lr", 100, r"train\.lr: 100 is out of range; allowed above 0 up to 10"),
            ("lr", "fast", r'train\.lr: invalid type: string "fast", expected f64'),
        ]:
            c = w.config
            c["train"][field] = value
            with self.assertRaisesRegex(ValueError, message):
                w.config = c
            # the edit in place is undone too: Python keeps the last good config
            self.assertEqual(w.config["train"], preset_config("si", "checkerboard")["train"])

    def test_an_edit_in_place_assigned_back_reaches_the_page(self):
        w = GenLab(lab="interpolants", config=preset_config("si", "checkerboard"))
        seen = []
        w.observe(lambda change: seen.append(change["new"]["sampler"]["epsilon"]), "config")
        c = w.config
        c["sampler"]["epsilon"] = 2.0
        w.config = c
        self.assertEqual(seen, [2.0])
        self.assertEqual(w.get_state("config")["config"]["sampler"]["epsilon"], 2.0)

    def test_not_json_is_refused(self):
        with self.assertRaisesRegex(ValueError, "config: not plain JSON"):
            GenLab(lab="interpolants", config={"seed": float("nan")})

    def test_the_pages_own_settings_are_taken_as_they_are(self):
        # the page sends its config with extras the core does not know (QLAE's compare); taken
        # as sent, it is not echoed back changed
        w = GenLab(lab="qlae", preset="sprites-qlae")
        page = {**preset_config("qlae", "sprites-qlae"), "compare": "ae"}
        w.set_state({"config": page})
        self.assertEqual(w.config, page)


class Requests(unittest.TestCase):
    def test_train_steps_are_checked_before_sending(self):
        w = GenLab()
        sent = Sent(w)
        for steps, message in [(0, "steps: 0 is out of range"), (10**8, "steps: 100000000 is out of range"), (2.5, "steps: 2.5 is not a whole number"), (True, "is not a whole number")]:
            with self.assertRaisesRegex(ValueError, message):
                w.train(steps)
        w.train(np.int64(200))
        self.assertEqual(sent.messages, [({"type": "train", "steps": 200}, None)])

    def test_load_weights_takes_bytes(self):
        w = GenLab()
        sent = Sent(w)
        with self.assertRaisesRegex(ValueError, "safetensors bytes are needed, not str"):
            w.load_weights("m.safetensors")
        w.load_weights(bytearray(b"\x08\x00"))
        self.assertEqual(sent.messages, [({"type": "load-weights"}, [b"\x08\x00"])])


class Replies(unittest.TestCase):
    def test_files_come_only_from_the_built_list(self):
        w = GenLab()
        sent = Sent(w)
        for path in ["../widget.py", "/etc/passwd", "static/page.js", "models/../../widget.py", "files.json"]:
            w._on_page_message(w, {"type": "file", "id": "a", "path": path}, [])
        self.assertEqual([m[0]["error"].split(":")[0] for m in sent.messages], ["../widget.py", "/etc/passwd", "static/page.js", "models/../../widget.py", "files.json"])
        self.assertTrue(all(m[1] is None for m in sent.messages))
        sent.messages.clear()
        w._on_page_message(w, {"type": "file", "id": 7, "path": "models/si/checkerboard.safetensors"}, [])
        [(content, buffers)] = sent.messages
        self.assertEqual(content, {"type": "file", "id": 7})
        self.assertEqual(buffers[0], (ROOT / "www/models/si/checkerboard.safetensors").read_bytes())

    def test_samples_and_weights_before_and_after_the_page_sends_them(self):
        w = GenLab()
        with self.assertRaisesRegex(RuntimeError, "has not shown samples yet"):
            w.samples()
        with self.assertRaisesRegex(RuntimeError, "has no trained weights yet"):
            w.weights()
        values = np.arange(12, dtype="<f4")
        w._on_page_message(w, {"type": "samples", "columns": ["x", "y", "variance"], "link": "#si?v=1"}, [memoryview(values.tobytes())])
        w._on_page_message(w, {"type": "weights", "step": 2700}, [memoryview(b"weights")])
        np.testing.assert_array_equal(w.samples(), values.reshape(4, 3))
        self.assertEqual((w.samples_columns, w.samples_link), (["x", "y", "variance"], "#si?v=1"))
        self.assertEqual((w.weights(), w.weights_step), (b"weights", 2700))
        # a copy: changing it changes nothing kept
        w.samples()[0, 0] = 99
        self.assertEqual(w.samples()[0, 0], 0)


class Examples(unittest.TestCase):
    def test_the_example_notebook_is_valid_and_uses_the_api(self):
        import nbformat

        notebook = nbformat.read(ROOT / "www/examples/genlab.ipynb", as_version=4)
        nbformat.validate(notebook)
        code = [cell.source for cell in notebook.cells if cell.cell_type == "code"]
        for source in code:
            compile(source, "genlab.ipynb", "exec")
        # every name the walkthrough reads from its widgets (si, dd, q) is the widget's
        used = {name for source in code for name in re.findall(r"\b(?:si|dd|q)\.(\w+)", source)}
        self.assertGreaterEqual(len(used), 8)
        self.assertEqual({name for name in used if not hasattr(GenLab, name)}, set())

if __name__ == "__main__":
    unittest.main()
