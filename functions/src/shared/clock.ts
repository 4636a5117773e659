/** The current time; injected so tests can move it without sleeping. */
export type Clock = () => Date;

/** The real wall clock. */
export const systemClock: Clock = () => new Date();
