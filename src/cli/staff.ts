import { parseArgs } from 'node:util';
import { createInterface } from 'node:readline';
import { ConfigError, loadConfig } from '../config.js';
import { connectDatabase } from '../db/connect.js';
import { migrate } from '../db/migrate.js';
import { findStaffByUsername, listStaff } from '../staff/repository.js';
import { createStaff, newStaffSchema, setDisabled, setPassword, StaffError, unlockStaff, usernameSchema } from '../staff/service.js';
import { resetTotp } from '../staff/two-factor.js';

// npm run staff -- add <username> --role <admin|investigator|clerk|viewer> [--email ADDR]
//                  disable|enable|unlock|reset-password|reset-2fa <username>
//                  list
// Passwords are read from standard input (first line), or prompted for on a terminal.

const USAGE = `usage: npm run staff -- add <username> --role <admin|investigator|clerk|viewer> [--email ADDR]
       npm run staff -- disable|enable|unlock|reset-password|reset-2fa <username>
       npm run staff -- list`;

const MESSAGES: Record<string, string> = {
  'errors.password.tooShort': 'the password must have at least 12 characters',
  'errors.password.tooLong': 'the password must have at most 128 characters',
  'errors.password.common': 'that password is among the most common ones; choose another',
  'errors.password.containsUsername': 'the password must not contain the username',
  'errors.staff.exists': 'that username is taken',
  'errors.staff.username': 'usernames are 2–40 characters: a–z, 0–9, . _ -',
  'errors.staff.role': 'the role must be admin, investigator, clerk or viewer',
  'errors.staff.email': 'that email address is not valid',
};

async function readPassword(): Promise<string> {
  if (!process.stdin.isTTY) {
    let input = '';
    for await (const chunk of process.stdin) input += chunk;
    return input.split(/\r?\n/)[0] ?? '';
  }
  const ask = (prompt: string) =>
    new Promise<string>((resolve) => {
      const rl = createInterface({ input: process.stdin, output: process.stdout, terminal: true });
      // Echo nothing while the password is typed.
      (rl as unknown as { _writeToOutput: (s: string) => void })._writeToOutput = (s) => {
        if (s.startsWith(prompt)) process.stdout.write(prompt);
      };
      rl.question(prompt, (answer) => {
        rl.close();
        process.stdout.write('\n');
        resolve(answer);
      });
    });
  const first = await ask('Password: ');
  if ((await ask('Again: ')) !== first) throw new Error('the two passwords differ');
  return first;
}

async function main() {
  const { positionals, values } = parseArgs({
    allowPositionals: true,
    options: { role: { type: 'string' }, email: { type: 'string' } },
  });
  const [command, rawName] = positionals;
  const config = loadConfig(process.env);
  const database = await connectDatabase(config.database);
  try {
    await migrate(database.pool);
    const db = database.db;
    if (command === 'list') {
      for (const u of await listStaff(db)) {
        const state = u.disabled ? 'disabled' : u.locked_until && u.locked_until > new Date() ? 'locked' : 'active';
        console.log(`${u.username}\t${u.role}\t${state}\t${u.email ?? ''}`);
      }
      return;
    }
    if (!command || !rawName) throw new Error(USAGE);
    if (command === 'add') {
      const input = newStaffSchema.safeParse({ username: rawName, role: values.role, email: values.email });
      if (!input.success) throw new StaffError('', input.error.issues[0]!.message);
      await createStaff(db, config.staff.password, input.data, await readPassword(), null);
      console.log(`Created ${input.data.username} (${input.data.role}).`);
      return;
    }
    if (!['disable', 'enable', 'unlock', 'reset-password', 'reset-2fa'].includes(command)) throw new Error(USAGE);
    const name = usernameSchema.safeParse(rawName);
    const user = name.success ? await findStaffByUsername(db, name.data) : undefined;
    if (!user) throw new Error(`no staff account named ${rawName}`);
    if (command === 'disable' || command === 'enable') {
      await setDisabled(db, user.id, command === 'disable', null);
      console.log(`${user.username} ${command}d${command === 'disable' ? '; their sessions have ended' : ''}.`);
    } else if (command === 'reset-2fa') {
      // The way back in when the last admin has lost their phone.
      await resetTotp(db, user.id, null);
      console.log(`Two-factor login of ${user.username} reset; their sessions have ended.`);
    } else if (command === 'unlock') {
      await unlockStaff(db, user.id, null);
      console.log(`${user.username} unlocked.`);
    } else {
      await setPassword(db, config.staff.password, user, await readPassword(), null);
      console.log(`Password of ${user.username} changed; their sessions have ended.`);
    }
  } finally {
    await database.close();
  }
}

main().catch((err) => {
  const message = err instanceof StaffError ? (MESSAGES[err.key] ?? err.key) : err instanceof ConfigError ? err.message : (err as Error).message;
  console.error(message);
  process.exit(1);
});
