export { type ProxyConfig, proxyConfigSchema } from './config.js';
export { createProxySource, proxyConnection } from './proxy-source.js';
