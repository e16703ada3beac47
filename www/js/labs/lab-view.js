// What every lab view shares: its worker, the page's message banner, and applying the form's
// settings so that a bad value leaves the last good run in place.

export class LabView {
  constructor(worker, { showMessage }) {
    this.worker = worker;
    this.showMessage = showMessage;
  }

  /** Applies the form; on a bad setting shows why and puts the last good settings back. */
  async applyForm() {
    try {
      await this.apply(this.readForm());
    } catch (err) {
      this.showMessage(`That setting cannot be used: ${err.message}. The last good settings are kept.`);
      this.fillForm();
    }
  }
}
