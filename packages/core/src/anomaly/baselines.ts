/**
 * Baseline detectors reported next to the streaming detector in `npm run bench:nab`: NAB's windowed
 * Gaussian and the constant (null) detector.
 */

/** Tail probability of the normal distribution beyond |x − mean| (the Q function). */
function normalTail(x: number, mean: number, std: number): number {
  const z = Math.abs(x - mean) / std;
  return 0.5 * erfc(z / Math.SQRT2);
}

/** Complementary error function (Numerical Recipes' erfcc, fractional error below 1.2e-7). */
export function erfc(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r =
    t *
    Math.exp(
      -z * z -
        1.26551223 +
        t *
          (1.00002368 +
            t *
              (0.37409196 +
                t *
                  (0.09678418 +
                    t *
                      (-0.18628806 +
                        t *
                          (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  return x >= 0 ? r : 2 - r;
}

/**
 * NAB's windowed Gaussian: the score of a point is 1 − Q(|z|) under a normal fitted to the previous
 * `windowSize` points, refitted every `stepSize` points once the window is full.
 */
export class WindowedGaussianDetector {
  private window: number[] = [];
  private stepBuffer: number[] = [];
  private mean = 0;
  private std = 1;
  private growMean = 0;
  private growM2 = 0;
  constructor(
    private readonly windowSize = 6400,
    private readonly stepSize = 100,
  ) {}

  step(value: number): number {
    const score = this.window.length > 0 ? 1 - normalTail(value, this.mean, this.std) : 0;
    if (this.window.length < this.windowSize) {
      // Welford's update while the window fills: the same mean and population std as a full refit.
      this.window.push(value);
      const n = this.window.length;
      const delta = value - this.growMean;
      this.growMean += delta / n;
      this.growM2 += delta * (value - this.growMean);
      this.mean = this.growMean;
      this.std = Math.sqrt(this.growM2 / n) || 0.000001;
    } else {
      this.stepBuffer.push(value);
      if (this.stepBuffer.length === this.stepSize) {
        this.window = this.window.slice(this.stepSize).concat(this.stepBuffer);
        this.stepBuffer = [];
        this.refit();
      }
    }
    return score;
  }

  private refit(): void {
    let sum = 0;
    for (const x of this.window) sum += x;
    this.mean = sum / this.window.length;
    let sq = 0;
    for (const x of this.window) sq += (x - this.mean) ** 2;
    this.std = Math.sqrt(sq / this.window.length) || 0.000001;
  }
}
