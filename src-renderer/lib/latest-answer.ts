/**
 * For a view that asks again whenever a setting moves (an epoch slider, a layer picker): only the answer to the latest
 * question is used. An earlier question answered late — a slow checkpoint load after the slider moved on — is dropped,
 * never shown over the newer one.
 */
export class LatestAnswer {
  private asked = 0;

  /** Waits for `answer` and hands it to `use`, unless something was asked after it (or `forget` was called). */
  async take<T>(answer: Promise<T>, use: (value: T) => void): Promise<void> {
    const mine = ++this.asked;
    const value = await answer;
    if (mine === this.asked) use(value);
  }

  /** Drops whatever is still on its way (the view changed to something that asks nothing). */
  forget(): void {
    this.asked++;
  }
}
