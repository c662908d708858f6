/**
 * Options for bundling workflow code. The Temporal bundler (webpack) does not read tsconfig `paths`, so the
 * @peakstock/* aliases are given to it here, once, for the worker, the pre-built bundle and the tests alike.
 */
import path from 'node:path';
import type { BundleOptions } from '@temporalio/worker';

/** Repository root, found from this file in both libs/temporal/src (ts) and dist/libs/temporal/src (js). */
export function repoRoot(): string {
  const here = __dirname;
  const marker = `${path.sep}libs${path.sep}temporal${path.sep}src`;
  const root = here.slice(0, here.lastIndexOf(marker));
  return path.basename(root) === 'dist' ? path.dirname(root) : root;
}

export function workflowBundleOptions(): Pick<BundleOptions, 'workflowsPath' | 'webpackConfigHook'> {
  const root = repoRoot();
  return {
    workflowsPath: path.join(root, 'workflows', 'index.ts'),
    webpackConfigHook: (config) => {
      config.resolve = config.resolve ?? {};
      config.resolve.alias = {
        ...(config.resolve.alias as Record<string, string>),
        '@peakstock/contracts': path.join(root, 'libs', 'contracts', 'src'),
        '@peakstock/domain': path.join(root, 'libs', 'domain', 'src'),
      };
      return config;
    },
  };
}
