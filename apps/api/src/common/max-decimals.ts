import { registerDecorator, type ValidationOptions } from 'class-validator';

/**
 * At most `places` decimal places, for any finite number. class-validator's `maxDecimalPlaces` reads the
 * digits from `toString()` and throws on exponent forms such as 1e-7 (a 500 instead of a 422); this checks
 * the value itself.
 */
export function MaxDecimals(places: number, options?: ValidationOptions): PropertyDecorator {
  const scale = 10 ** places;
  return (target: object, propertyName: string | symbol) => {
    registerDecorator({
      name: 'maxDecimals',
      target: target.constructor,
      propertyName: String(propertyName),
      constraints: [places],
      options: { message: `$property must have at most ${places} decimal places`, ...options },
      validator: {
        validate(value: unknown) {
          if (typeof value !== 'number' || !Number.isFinite(value)) return false;
          const scaled = value * scale;
          // The tolerance absorbs binary float error; a value it would round to zero (1e-9) is not such error
          // but a number the column cannot hold (found by fuzzing: it broke a `> 0` constraint).
          if (value !== 0 && Math.round(scaled) === 0) return false;
          return Math.abs(scaled - Math.round(scaled)) < 1e-6 * Math.max(1, Math.abs(scaled));
        },
      },
    });
  };
}
