// `npm run build`: dist/ and the pre-built workflow bundle.
import { build, ensureDependencies } from './lib/ensure.mjs';

ensureDependencies();
build();
