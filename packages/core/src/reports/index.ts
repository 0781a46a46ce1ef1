export * from './cron';
export * from './failure-notice';
export * from './format';
export * from './messages';
export * from './range';
export * from './row-cap';
export * from './signing';
