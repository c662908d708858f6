import { lazy, Suspense, useEffect, useMemo, useState } from 'react';
import { ApiError, type Me, session, whoAmI } from './api';
import { I18nContext, type LabelKey, type Locale, makeI18n } from './i18n';
import { Actions } from './pages/Actions';
import { Inbox } from './pages/Inbox';
import { Plans } from './pages/Plans';
import { Policies } from './pages/Policies';
import { Report } from './pages/Report';
import { SignIn } from './pages/SignIn';
import { Workflows } from './pages/Workflows';

// The war room carries the chart library: loaded when first shown, so signing in stays light.
const WarRoom = lazy(() => import('./pages/WarRoom').then((m) => ({ default: m.WarRoom })));

type Page = 'war-room' | 'inbox' | 'workflows' | 'plans' | 'actions' | 'policies' | 'report';

/** Which pages a role sees: everyone their inbox; internal roles the war room; ops and supply the actions. */
const PAGES: { page: Page; label: LabelKey; roles: Me['role'][] }[] = [
  {
    page: 'war-room',
    label: 'warRoom',
    roles: ['admin', 'ops', 'supply_manager', 'warehouse_lead', 'viewer'],
  },
  {
    page: 'inbox',
    label: 'inbox',
    roles: ['admin', 'ops', 'supply_manager', 'warehouse_lead', 'channel', 'partner'],
  },
  {
    page: 'workflows',
    label: 'workflows',
    roles: ['admin', 'ops', 'supply_manager', 'warehouse_lead', 'viewer'],
  },
  { page: 'plans', label: 'plans', roles: ['admin', 'ops', 'supply_manager', 'warehouse_lead', 'viewer'] },
  { page: 'actions', label: 'actions', roles: ['admin', 'ops', 'supply_manager', 'warehouse_lead'] },
  { page: 'policies', label: 'policies', roles: ['admin', 'ops', 'supply_manager'] },
  { page: 'report', label: 'report', roles: ['admin', 'ops', 'supply_manager', 'warehouse_lead', 'viewer'] },
];

const LOCALE_KEY = 'peakstock.locale';

const pageFromHash = (): Page | null => {
  const p = location.hash.replace(/^#\/?/, '');
  return PAGES.some((x) => x.page === p) ? (p as Page) : null;
};

export function App() {
  const [locale, setLocale] = useState<Locale>(
    () => (localStorage.getItem(LOCALE_KEY) as Locale | null) ?? 'zh-CN',
  );
  const [me, setMe] = useState<Me | null>(null);
  const [checking, setChecking] = useState(Boolean(session.token()));
  const [page, setPage] = useState<Page | null>(pageFromHash);
  const i18n = useMemo(
    () =>
      makeI18n(locale, (l) => {
        localStorage.setItem(LOCALE_KEY, l);
        setLocale(l);
      }),
    [locale],
  );
  const { t } = i18n;

  useEffect(() => {
    document.documentElement.lang = locale;
  }, [locale]);
  useEffect(() => {
    const onHash = () => setPage(pageFromHash());
    window.addEventListener('hashchange', onHash);
    return () => window.removeEventListener('hashchange', onHash);
  }, []);
  // A token kept from earlier in this tab: check it is still good.
  useEffect(() => {
    if (!session.token()) return;
    whoAmI()
      .then(setMe)
      .catch((err: unknown) => {
        if (err instanceof ApiError && err.status === 401) session.clear();
      })
      .finally(() => setChecking(false));
  }, []);

  const allowed = me ? PAGES.filter((p) => p.roles.includes(me.role)) : [];
  const current = allowed.find((p) => p.page === page)?.page ?? allowed[0]?.page;

  return (
    <I18nContext.Provider value={i18n}>
      <header className="top">
        <strong className="brand">{t('appName')}</strong>
        {me && (
          <nav aria-label="main">
            {allowed.map((p) => (
              <a key={p.page} href={`#/${p.page}`} aria-current={p.page === current ? 'page' : undefined}>
                {t(p.label)}
              </a>
            ))}
          </nav>
        )}
        <span className="spacer" />
        <label className="lang">
          <span className="sr-only">{t('language')}</span>
          <select
            value={locale}
            onChange={(e) => i18n.setLocale(e.target.value as Locale)}
            aria-label={t('language')}
          >
            <option value="zh-CN">中文</option>
            <option value="en">English</option>
          </select>
        </label>
        {me && (
          <button
            type="button"
            className="link"
            onClick={() => {
              session.clear();
              setMe(null);
            }}
          >
            {me.name} · {t('signOut')}
          </button>
        )}
      </header>
      <main>
        {checking ? (
          <p>{t('loading')}</p>
        ) : !me ? (
          <SignIn onSignedIn={setMe} />
        ) : current === 'war-room' ? (
          <Suspense fallback={<p>{t('loading')}</p>}>
            <WarRoom />
          </Suspense>
        ) : current === 'inbox' ? (
          <Inbox me={me} />
        ) : current === 'workflows' ? (
          <Workflows />
        ) : current === 'plans' ? (
          <Plans me={me} />
        ) : current === 'actions' ? (
          <Actions me={me} />
        ) : current === 'policies' ? (
          <Policies me={me} />
        ) : current === 'report' ? (
          <Report />
        ) : null}
      </main>
    </I18nContext.Provider>
  );
}
