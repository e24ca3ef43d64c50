// The tag=value parser moved to src/dns/ (MTA-STS sending uses it too); the
// doctor's checks keep importing it from here.
export * from '../dns/tag-value.js';
