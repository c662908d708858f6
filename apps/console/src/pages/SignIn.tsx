import { type FormEvent, useState } from 'react';
import { type Me, session, whoAmI } from '../api';
import { useI18n } from '../i18n';

export function SignIn({ onSignedIn }: { onSignedIn: (me: Me) => void }) {
  const { t } = useI18n();
  const [token, setToken] = useState('');
  const [error, setError] = useState<string | null>(null);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    try {
      const me = await whoAmI(token.trim());
      session.set(token.trim());
      onSignedIn(me);
    } catch {
      setError(t('badToken'));
    }
  };
  return (
    <form className="card narrow" onSubmit={submit}>
      <h1>{t('signIn')}</h1>
      <label htmlFor="token">{t('token')}</label>
      <input
        id="token"
        type="password"
        autoComplete="off"
        value={token}
        onChange={(e) => setToken(e.target.value)}
        aria-describedby="token-help"
        required
      />
      <p id="token-help" className="help">
        {t('tokenHelp')}
      </p>
      {error && (
        <p role="alert" className="error">
          {error}
        </p>
      )}
      <button type="submit">{t('signIn')}</button>
    </form>
  );
}
