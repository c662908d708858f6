/** A real SMTP server on loopback for tests: every message is parsed (mailparser) and kept. */
import { SMTPServer, type SMTPServerDataStream, type SMTPServerSession } from 'smtp-server';
import { simpleParser, type ParsedMail } from 'mailparser';

export interface TestSmtp {
  url: string;
  messages: ParsedMail[];
  /** Runs before the server answers a message's DATA (to delay it, or to kill the sender meanwhile). */
  beforeAccept?: (mail: ParsedMail) => Promise<void>;
  close(): Promise<void>;
}

export async function startTestSmtp(): Promise<TestSmtp> {
  const box: TestSmtp = {
    url: '',
    messages: [],
    close: async () => undefined,
  };
  const server = new SMTPServer({
    secure: false,
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData(
      stream: SMTPServerDataStream,
      _session: SMTPServerSession,
      callback: (err?: Error | null) => void,
    ) {
      simpleParser(stream)
        .then(async (mail) => {
          box.messages.push(mail);
          await box.beforeAccept?.(mail);
          callback();
        })
        .catch((err: Error) => callback(err));
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.server.address() as { port: number };
  box.url = `smtp://127.0.0.1:${port}`;
  box.close = () => new Promise<void>((resolve) => server.close(() => resolve()));
  return box;
}
