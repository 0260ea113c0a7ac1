/** The pseudonet command line. */
import { Command } from 'commander';
import { registerValidate } from './validate.js';

const program = new Command('pseudonet')
  .description('a carrier PPPoE access network (PPPoE, L2TPv2 LAC/LNS, RADIUS) and the IPv4 router behind it, in userspace')
  .version('0.1.0');

program
  .command('demo')
  .description('bring the default network up on the virtual clock, ping, tear down (not built yet: see README)')
  .option('--out <dir>', 'output directory', 'out')
  .option('--topology <file>', 'topology YAML instead of the built-in default')
  .action(() => {
    console.log('pseudonet demo: the end-to-end network is not built yet.');
    console.log('What exists so far: the wire codecs (src/wire) with their tests; run `npm test`.');
    process.exitCode = 1;
  });

registerValidate(program);

await program.parseAsync(process.argv);
