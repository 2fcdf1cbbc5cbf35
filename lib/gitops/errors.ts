/**
 * The error the repository model throws for a user's mistake (unknown cluster, duplicate
 * name, missing parent, ...): the CLI prints its message as-is and exits 1.
 */

/** A problem with the repository or the requested change, worded for the user. */
export class RepoError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "RepoError";
  }
}
