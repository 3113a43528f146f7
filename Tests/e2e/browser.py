"""Headless Chromium with a fake microphone that plays a tone file."""

import asyncio
import time
import wave

import numpy as np
from selenium import webdriver
from selenium.webdriver.chrome.service import Service

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"


def write_tone_wav(path: str, hz: float, seconds: float = 10.0, rate: int = 48000) -> str:
    """A 16-bit mono WAV of a sine tone; Chromium loops it as the microphone."""
    n = np.arange(int(seconds * rate))
    samples = (0.5 * np.sin(2 * np.pi * hz * n / rate) * 32767).astype("<i2")
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(samples.tobytes())
    return str(path)


def start_chromium(tone_wav: str, log_path: str) -> webdriver.Chrome:
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu",
                 "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
                 f"--use-file-for-fake-audio-capture={tone_wav}",
                 "--ignore-certificate-errors", "--autoplay-policy=no-user-gesture-required",
                 "--allow-loopback-in-peer-connection", "--disable-dev-shm-usage",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"):
        options.add_argument(flag)
    service = Service(executable_path=CHROMEDRIVER, log_output=str(log_path))
    driver = webdriver.Chrome(service=service, options=options)
    driver.set_page_load_timeout(20)
    driver.set_script_timeout(10)
    return driver


def wait_for_state(driver, want: str, timeout: float = 30.0) -> None:
    """Waits until `window.whootState == want`; fails with the last state seen."""
    deadline = time.monotonic() + timeout
    state = None
    while time.monotonic() < deadline:
        state = driver.execute_script("return window.whootState === undefined ? null "
                                      ": String(window.whootState);")
        if state == want:
            return
        time.sleep(0.2)
    raise AssertionError(f"page state is {state!r} after {timeout}s, want {want!r}")


async def open_call_page(tmp_path, link: str, tone_hz: float) -> webdriver.Chrome:
    """Chromium playing `tone_hz` as its microphone opens `link` (a join link with
    autojoin) and waits until the page says connected; a screenshot goes to page.png.
    The caller quits the driver."""
    wav = write_tone_wav(tmp_path / f"tone{int(tone_hz)}.wav", tone_hz)
    driver = await asyncio.to_thread(start_chromium, wav, tmp_path / "chromedriver.log")
    try:
        await asyncio.to_thread(driver.get, link)
        try:
            await asyncio.to_thread(wait_for_state, driver, "connected", 30)
        finally:
            await asyncio.to_thread(driver.save_screenshot, str(tmp_path / "page.png"))
    except BaseException:
        await asyncio.to_thread(driver.quit)
        raise
    return driver
