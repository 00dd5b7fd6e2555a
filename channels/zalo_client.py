"""Zalo Official Account API client: customer-service messages and access-token refresh.

Facts (see ../shared/platform-notes.md, section C): send with ``POST {api}/v3.0/oa/message/cs`` and the
header ``access_token``; success is HTTP 200 with ``"error": 0``. An expired access token answers
HTTP 401 or ``error -216``. Refresh with ``POST {oauth}/v4/oa/access_token`` (form: app_id,
grant_type=refresh_token, refresh_token; header ``secret_key``); the refresh token is single-use and a
reused one answers ``error -14020``.
"""
from __future__ import annotations

import asyncio
import logging
from typing import Any, Dict, Optional

import aiohttp

from channels.zalo_store import ZaloStore

logger = logging.getLogger(__name__)

TOKEN_EXPIRED = -216
REFRESH_TOKEN_INVALID = -14020


class ZaloApiError(Exception):
    def __init__(self, message: str, code: Optional[int] = None, status: Optional[int] = None) -> None:
        super().__init__(message)
        self.code, self.status = code, status


class ZaloAuthError(ZaloApiError):
    """The OA must be authorised again (the refresh token is no longer valid)."""


class ZaloClient:
    def __init__(
        self,
        store: ZaloStore,
        app_id: str,
        app_secret: str,
        api_base: str = "https://openapi.zalo.me",
        oauth_base: str = "https://oauth.zaloapp.com",
        retries: int = 3,
        backoff: float = 0.5,
        timeout: float = 10.0,
    ) -> None:
        self.store = store
        self.app_id, self.app_secret = app_id, app_secret
        self.api_base, self.oauth_base = api_base.rstrip("/"), oauth_base.rstrip("/")
        self.retries, self.backoff = retries, backoff
        self.timeout = aiohttp.ClientTimeout(total=timeout)
        self._refresh_lock = asyncio.Lock()
        self.refreshes = 0

    async def send_text(self, user_id: str, text: str) -> Dict[str, Any]:
        return await self._send({"recipient": {"user_id": user_id}, "message": {"text": text}})

    async def _send(self, body: Dict[str, Any]) -> Dict[str, Any]:
        refreshed = False
        attempt = 0
        while True:
            pair = self.store.tokens()
            if pair is None:
                raise ZaloAuthError("no access token stored: authorise the OA first")
            status, data = await self._post_json("/v3.0/oa/message/cs", body, pair.access_token)
            code = data.get("error") if isinstance(data, dict) else None
            if status == 200 and code == 0:
                return data
            if (status == 401 or code == TOKEN_EXPIRED) and not refreshed:
                await self.refresh(pair.version)
                refreshed = True
                continue
            if status >= 500 or status == 429:
                attempt += 1
                if attempt >= self.retries:
                    raise ZaloApiError(f"Zalo API unavailable after {attempt} attempts", code, status)
                await asyncio.sleep(self.backoff * 2 ** (attempt - 1))
                continue
            raise ZaloApiError(f"Zalo API refused the message: {data}", code, status)

    async def refresh(self, seen_version: int) -> None:
        """Refresh the token pair once, even when many sends find it expired at the same time.

        An asyncio lock serialises refreshes in this process; the locked token row serialises them across
        processes. If the pair changed since the caller read it, someone else refreshed: nothing to do.
        """
        async with self._refresh_lock:
            with self.store.locked_tokens() as (conn, current):
                if current is None:
                    raise ZaloAuthError("no refresh token stored: authorise the OA first")
                if current.version != seen_version:
                    return
                form = {"app_id": self.app_id, "grant_type": "refresh_token", "refresh_token": current.refresh_token}
                async with aiohttp.ClientSession(timeout=self.timeout) as http:
                    async with http.post(f"{self.oauth_base}/v4/oa/access_token", data=form,
                                         headers={"secret_key": self.app_secret}) as r:
                        data = await r.json(content_type=None)
                self.refreshes += 1
                if not isinstance(data, dict) or not data.get("access_token") or not data.get("refresh_token"):
                    code = data.get("error") if isinstance(data, dict) else None
                    raise ZaloAuthError(f"token refresh failed: {data}", code)
                self.store.write_tokens(conn, current, data["access_token"], data["refresh_token"],
                                        int(data.get("expires_in") or 0))

    async def _post_json(self, path: str, body: Dict[str, Any], access_token: str):
        try:
            async with aiohttp.ClientSession(timeout=self.timeout) as http:
                async with http.post(f"{self.api_base}{path}", json=body,
                                     headers={"access_token": access_token}) as r:
                    try:
                        data = await r.json(content_type=None)
                    except Exception:  # noqa: BLE001 - a non-JSON answer is an error answer
                        data = {"error": None, "body": (await r.text())[:200]}
                    return r.status, data
        except (aiohttp.ClientError, asyncio.TimeoutError) as err:
            return 503, {"error": None, "message": str(err)}
