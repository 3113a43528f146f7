print("whootd")
