// Lambda runs an image as a uid with no passwd entry, and a base may set no HOME: then os.homedir() throws
// inside the AWS SDK (it looks for ~/.aws on every call) and the supervisor stops. Imported first by main.ts.
import { tmpdir } from 'node:os';

if (!process.env.HOME) process.env.HOME = tmpdir();
