// The t critical values behind the 95% intervals, against printed tables.
import { describe, expect, it } from "vitest";
import { studentTCriticalValue } from "../../src/experiments/fit/student_t.js";

describe("studentTCriticalValue", () => {
  it("matches the two-sided 95% table, odd and even degrees of freedom", () => {
    const table: [number, number][] = [
      [1, 12.7062],
      [2, 4.3027],
      [3, 3.1824],
      [5, 2.5706],
      [10, 2.2281],
      [31, 2.0395],
      [120, 1.9799],
    ];
    for (const [dof, t] of table) expect(studentTCriticalValue(0.95, dof), `dof ${dof}`).toBeCloseTo(t, 4);
    expect(studentTCriticalValue(0.95, 100_001)).toBeCloseTo(1.95996, 4);
    expect(studentTCriticalValue(0.99, 10)).toBeCloseTo(3.1693, 4);
  });
});
