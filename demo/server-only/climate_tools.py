"""A stand-in for a company's own library: `npm start` puts this folder on its Jupyter Server's path, and nothing
puts it in the browser. The demo notebook imports it to show how a notebook moves to where its libraries are."""

import statistics

VERSION = "2.1"


def seasonal_swing(by_city):
    """Per city: the warmest and coldest month's mean, and the difference, warmest swing first."""
    months = "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split()
    rows = []
    for city, temps in by_city.items():
        hot = max(range(12), key=lambda i: temps[i])
        cold = min(range(12), key=lambda i: temps[i])
        rows.append({"city": city, "warmest": months[hot], "coldest": months[cold], "swing": round(temps[hot] - temps[cold], 1)})
    return sorted(rows, key=lambda r: -r["swing"])


def anomaly(by_city):
    """How far each city's yearly mean is from the mean of all cities, in °C."""
    means = {city: statistics.mean(t) for city, t in by_city.items()}
    overall = statistics.mean(means.values())
    return {city: round(m - overall, 2) for city, m in means.items()}
