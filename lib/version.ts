/**
 * The version of Lattice, shown by `lattice version`, sent by agents and used as the
 * default image tag of the operator.
 */
export const LATTICE_VERSION = "0.1.0";
