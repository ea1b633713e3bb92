/**
 * @module `ConfigError`: a configuration problem for the operator, one line naming the key.
 * Its own module so the serving process can catch it without loading the YAML and schema code.
 */

/** A config error for the operator: one line, naming the key. `main.ts` exits with code 2. */
export class ConfigError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "ConfigError";
  }
}
