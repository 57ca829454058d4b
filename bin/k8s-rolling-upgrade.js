#!/usr/bin/env node
// The CLI entry point: runs client/main.ts through tsx (TypeScript without a build step).
import { register } from 'tsx/esm/api';

register();
await import('../client/main.ts');
