// Types of the globals the pages' scripts use but do not define, for TypeScript's check of
// static/ (tests/node/tsconfig.json): Office.js (Microsoft's CDN script) and MSAL.js
// (static/vendor), only the members the scripts touch, as their documentation gives them.
// Not served to browsers as code: nothing imports it.

/** The sign-in settings a page embeds as JSON (#auth-config). */
interface AuthSettings {
  clientId: string;
  authority: string;
  knownAuthorities: string[];
  apiScope: string;
  graphScopes: string[];
}

declare namespace Office {
  interface AsyncResult<T> {
    status: "succeeded" | "failed";
    value: T;
    error?: { code: number; message?: string };
  }
  /** An item property in compose mode (read mode gives the value itself). */
  interface AsyncProperty<T> {
    getAsync(callback: (result: AsyncResult<T>) => void): void;
  }
  interface EmailAddressDetails {
    emailAddress?: string;
    displayName?: string;
    address?: string;  // what a test's stand-in or an older host may give instead
  }
  interface OfficeTheme {
    bodyBackgroundColor?: string;
    bodyForegroundColor?: string;
    controlBackgroundColor?: string;
    controlForegroundColor?: string;
    isDarkTheme?: boolean;
  }
  interface UserProfile {
    emailAddress?: string | null;
    displayName?: string | null;
    timeZone?: string | null;
  }
  interface Item {
    itemType?: string;
    itemId?: string;
    subject?: string | AsyncProperty<string>;
    from?: EmailAddressDetails | AsyncProperty<EmailAddressDetails>;
    organizer?: EmailAddressDetails | AsyncProperty<EmailAddressDetails>;
    to?: EmailAddressDetails[] | AsyncProperty<EmailAddressDetails[]>;
    cc?: EmailAddressDetails[] | AsyncProperty<EmailAddressDetails[]>;
    requiredAttendees?: EmailAddressDetails[] | AsyncProperty<EmailAddressDetails[]>;
    optionalAttendees?: EmailAddressDetails[] | AsyncProperty<EmailAddressDetails[]>;
  }
  interface Mailbox {
    item?: Item | null;
    userProfile?: UserProfile;
    convertToRestId?(itemId: string, restVersion: string): string;
    addHandlerAsync?(eventType: string, handler: (event: { officeTheme?: OfficeTheme }) => void,
                     callback?: (result: AsyncResult<void>) => void): void;
  }
  interface DialogMessage { message: string; origin?: string }
  interface Dialog {
    addEventHandler(eventType: string, handler: (arg: DialogMessage) => void): void;
    close(): void;
  }
  interface UI {
    displayDialogAsync(url: string, options: { height: number; width: number },
                       callback: (result: AsyncResult<Dialog>) => void): void;
    messageParent(message: string): void;
  }
  interface Context {
    mailbox?: Mailbox;
    ui: UI;
    officeTheme?: OfficeTheme;
  }
  interface ReadyInfo { host: string | null; platform?: string }

  const context: Context;
  const EventType: { DialogMessageReceived: string; DialogEventReceived: string;
                     OfficeThemeChanged: string };
  const MailboxEnums: { RestVersion?: { v2_0?: string } } | undefined;
  const auth: {
    getAccessToken?(options: { allowSignInPrompt?: boolean; allowConsentPrompt?: boolean;
                               forMSGraphAccess?: boolean }): Promise<string>;
  } | undefined;
  function onReady(callback?: (info: ReadyInfo) => void): Promise<ReadyInfo>;
}

/** MSAL.js (static/vendor/msal-browser.min.js), the members the scripts call. */
declare namespace msal {
  interface AccountInfo { homeAccountId: string; username: string }
  interface AuthenticationResult { accessToken: string; account: AccountInfo | null }
  interface TokenRequest {
    scopes: string[];
    account?: AccountInfo;
    extraScopesToConsent?: string[];
    prompt?: string;
  }
  interface Configuration {
    auth: { clientId: string; authority?: string; knownAuthorities?: string[];
            redirectUri?: string; postLogoutRedirectUri?: string | null };
    cache?: { cacheLocation?: "localStorage" | "sessionStorage" };
  }
  interface IPublicClientApplication {
    initialize(): Promise<void>;
    getActiveAccount(): AccountInfo | null;
    getAllAccounts(): AccountInfo[];
    setActiveAccount(account: AccountInfo | null): void;
    acquireTokenSilent(request: TokenRequest): Promise<AuthenticationResult>;
    acquireTokenPopup(request: TokenRequest): Promise<AuthenticationResult>;
    handleRedirectPromise(): Promise<AuthenticationResult | null>;
    loginRedirect(request: TokenRequest): Promise<void>;
    clearCache(request?: { account?: AccountInfo }): Promise<void>;
  }
  /** MSAL's errors carry a code ("user_cancelled", "popup_window_error"...). */
  interface AuthError extends Error { errorCode: string }
  class PublicClientApplication implements IPublicClientApplication {
    constructor(configuration: Configuration);
    initialize(): Promise<void>;
    getActiveAccount(): AccountInfo | null;
    getAllAccounts(): AccountInfo[];
    setActiveAccount(account: AccountInfo | null): void;
    acquireTokenSilent(request: TokenRequest): Promise<AuthenticationResult>;
    acquireTokenPopup(request: TokenRequest): Promise<AuthenticationResult>;
    handleRedirectPromise(): Promise<AuthenticationResult | null>;
    loginRedirect(request: TokenRequest): Promise<void>;
    clearCache(request?: { account?: AccountInfo }): Promise<void>;
  }
  function createNestablePublicClientApplication(
    configuration: Configuration): Promise<IPublicClientApplication>;
}

interface Window {
  /** Office.js, once its script has loaded (the pages also work without it). */
  Office?: typeof Office;
  msal: typeof msal;
  msalRedirectBridge: { broadcastResponseToMainFrame(): Promise<void> };
  /** Fluent UI web components' bundle publishes setTheme here. */
  Fluent?: { setTheme?(theme: Record<string, string>): void };
}
